# Sourced by the CI scripts: where their results go. On GitHub Actions a step's outputs go
# to $GITHUB_OUTPUT and its report to the run's summary page ($GITHUB_STEP_SUMMARY);
# elsewhere (GitLab CI, a laptop) the same results are printed.

# Prints VALUE; on GitHub Actions also sets it as the step output NAME.
ci_output() { # name, value (one line)
  printf '%s\n' "$2"
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
  fi
}

# Appends FILE to the run's summary page on GitHub Actions.
ci_summary() { # file
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    cat "$1" >>"$GITHUB_STEP_SUMMARY"
  fi
}

# Prints the commit that branch BRANCH points at on origin, or nothing when origin has no
# such branch; fails (with git's message) when origin cannot be read, so that an unreadable
# origin is never taken for a missing branch.
ci_origin_branch() { # branch
  local refs status=0
  refs=$(git ls-remote --exit-code origin "refs/heads/$1") || status=$?
  case $status in
    0) printf '%s\n' "${refs%%$'\t'*}" ;;
    2) ;;
    *) return "$status" ;;
  esac
}

# A JSON list of the given words, which must be stack names (letters, digits, . _ -).
ci_json_list() { # word...
  local word json=""
  for word in "$@"; do
    if [[ ! $word =~ ^[A-Za-z0-9._-]+$ ]]; then
      printf 'not a stack name: %q\n' "$word" >&2
      return 1
    fi
    json+="${json:+,}\"$word\""
  done
  printf '[%s]\n' "$json"
}

# Cuts FILE down to at most LIMIT bytes, at a line boundary, ending with NOTE.
ci_fit() { # file, limit in bytes, note
  local file=$1 limit=$2 note=$3 kept note_bytes
  if [ "$(wc -c <"$file")" -le "$limit" ]; then
    return
  fi
  note_bytes=$(printf '\n%s\n' "$note" | wc -c)
  kept=$(mktemp)
  # The last line may be cut mid-way (even mid-character): drop it.
  head -c "$((limit - note_bytes))" "$file" | sed '$d' >"$kept"
  printf '\n%s\n' "$note" >>"$kept"
  mv "$kept" "$file"
}
