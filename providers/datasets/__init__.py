"""Checking local data sets before a paid job is submitted with them.

local    where a job file's local data set is, and that it stays inside the repository
check    `check_dataset`: file-level limits and every line, as a `DatasetReport`
scan     streaming a file in ranges, in parallel worker processes for large files
lines    one JSONL line: is it a valid example for the model, and how many tokens
tokens   the token estimate, and how far off it can be
cache    check reports and hashes kept while a file is unchanged
cache    reports and SHA-256 digests kept while a file and the checker are unchanged
"""
