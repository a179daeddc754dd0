"""A throwaway copy of the project driven by the real `pulumi` CLI, for end-to-end tests.

Each instance has its own file backend, stack and jobs folder, and talks to the emulator
named by `emulator_host`. Commands run non-interactively and return the completed process.
Each command runs in a session of its own, and nothing it starts outlives it: what is left
when it ends (or times out) is killed, and `close()` kills what `start` started
(`tests.support.processes`).
"""

from __future__ import annotations

import copy
import json
import os
import secrets
import shutil
import subprocess
from pathlib import Path

import yaml

from tests.support.processes import kill_session, run_in_session

REPO_ROOT = Path(__file__).resolve().parents[2]
REPO_VIRTUALENV = REPO_ROOT / ".venv"
PROJECT_FILES = ("Pulumi.yaml", "__main__.py", "providers")
COMMAND_TIMEOUT_SECONDS = 170
# Google's own tools fall back to these; tests name their project and region themselves, and
# never hold credentials.
GOOGLE_VARIABLES = frozenset({
    "GOOGLE_PROJECT", "GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT",
    "GOOGLE_REGION", "GCLOUD_REGION", "CLOUDSDK_COMPUTE_REGION", "GOOGLE_APPLICATION_CREDENTIALS",
})


class PulumiCommandError(AssertionError):
    pass


class PulumiProject:
    def __init__(self, workdir: Path, emulator_host: str, stack: str = "test",
                 program: Path = REPO_ROOT, virtualenv: Path = REPO_VIRTUALENV):
        """`program`: the checkout whose Pulumi.yaml, __main__.py and providers/ to run, with
        the Python packages of `virtualenv`."""
        self.dir = workdir / "project"
        self.jobs_dir = self.dir / "jobs"
        self.stack = stack
        self.dir.mkdir(parents=True)
        self._started: list[subprocess.Popen] = []
        backend = workdir / "backend"
        backend.mkdir()
        self.env = {
            **{key: value for key, value in os.environ.items() if key not in GOOGLE_VARIABLES},
            "PULUMI_BACKEND_URL": f"file://{backend}",
            "PULUMI_CONFIG_PASSPHRASE": "e2e-tests",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "VERTEX_AI_EMULATOR_HOST": emulator_host,
            "PULUMI_HOME": str(workdir / "pulumi-home"),
        }
        self.use_program(program, virtualenv)
        self.jobs_dir.mkdir()
        self._init_stack("e2e-project")

    def for_stack(self, stack: str, gcp_project: str) -> PulumiProject:
        """Another stack of this project (same folder, jobs and backend) on `gcp_project`."""
        other = copy.copy(self)
        other.stack = stack
        other._init_stack(gcp_project)
        return other

    def _init_stack(self, gcp_project: str) -> None:
        self.run("stack", "init")
        self.run("config", "set", "gcp:project", gcp_project)
        self.run("config", "set", "gcp:region", "us-central1")
        self.run("config", "set", "gemini-tuning:useEmulator", "true")
        self.stack_id = secrets.token_hex(6)
        self.run("config", "set", "gemini-tuning:stackId", self.stack_id)

    def use_program(self, program: Path, virtualenv: Path = REPO_VIRTUALENV) -> None:
        """Puts `program`'s project files in place of the current ones, as a checkout upgrade
        does, run with the packages installed in `virtualenv`."""
        for name in PROJECT_FILES:
            source, target = program / name, self.dir / name
            if target.is_dir():
                shutil.rmtree(target)
            if source.is_dir():
                shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(source, target)
        # The engine hands Pulumi.yaml's virtualenv to the provider host.
        pulumi_yaml = self.dir / "Pulumi.yaml"
        pulumi_yaml.write_text(
            pulumi_yaml.read_text().replace("virtualenv: .venv", f"virtualenv: {virtualenv}")
        )
        self.env["PULUMI_RUNTIME_VIRTUALENV"] = str(virtualenv)
        self.env["PATH"] = f"{virtualenv / 'bin'}:{REPO_ROOT / '.tools' / 'bin'}:{os.environ['PATH']}"

    def use_emulator(self, emulator) -> None:
        """Talks to `emulator` (an EmulatorProcess) from now on, as after a restart on a new port."""
        self.env["VERTEX_AI_EMULATOR_HOST"] = emulator.host

    def write_job(self, name: str, **fields) -> Path:
        path = self.jobs_dir / f"{name}.yaml"
        path.write_text(yaml.safe_dump({"name": name, **fields}, sort_keys=False))
        return path

    def write_file(self, relative_path: str, text: str) -> Path:
        path = self.dir / relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def use_storage(self, url: str, bucket: str) -> None:
        """Local data sets go to `bucket` on the Cloud Storage emulator at `url`."""
        self.env["STORAGE_EMULATOR_HOST"] = url
        self.run("config", "set", "gemini-tuning:datasetBucket", bucket)

    def write_raw_job(self, file_name: str, text: str) -> Path:
        path = self.jobs_dir / file_name
        path.write_text(text)
        return path

    def remove_job(self, name: str) -> None:
        (self.jobs_dir / f"{name}.yaml").unlink()

    def command(self, *args: str) -> list[str]:
        return ["pulumi", *args, "--non-interactive", "--stack", self.stack]

    def run(self, *args: str, check: bool = True,
            timeout: float = COMMAND_TIMEOUT_SECONDS) -> subprocess.CompletedProcess:
        result = run_in_session(self.command(*args), cwd=self.dir, env=self.env, timeout=timeout)
        if check and result.returncode != 0:
            raise PulumiCommandError(
                f"pulumi {' '.join(args)} exited {result.returncode}\n"
                f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            )
        return result

    def start(self, *args: str) -> subprocess.Popen:
        """Starts a command in a session of its own, so that `kill` (or `close`) ends all of it."""
        with open(self.dir.parent / "started-command.log", "a") as log:
            process = subprocess.Popen(
                self.command(*args), cwd=self.dir, env=self.env, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )
        self._started.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """Kills a started command with everything it started, its plugins included (a crash)."""
        kill_session(process.pid)
        process.wait()

    def close(self) -> None:
        """Kills whatever the started commands left running."""
        for process in self._started:
            self.kill(process)
        self._started.clear()

    def up(self, check: bool = True) -> subprocess.CompletedProcess:
        return self.run("up", "--yes", "--skip-preview", check=check)

    def preview_steps(self) -> list[dict]:
        """The steps `pulumi preview` plans, from its JSON output."""
        result = self.run("preview", "--json")
        return json.loads(result.stdout)["steps"]

    def outputs(self) -> dict:
        return json.loads(self.run("stack", "output", "--json").stdout)

    def resource_outputs(self, resource_name: str) -> dict:
        """The recorded outputs of one resource, from `pulumi stack export`."""
        state = json.loads(self.run("stack", "export").stdout)
        [resource] = [r for r in state["deployment"]["resources"]
                      if r["urn"].endswith(f"::{resource_name}")]
        return resource["outputs"]

    def job_output(self, job: str, region: str = "us-central1") -> dict:
        return self.outputs()["jobs"][job][region]
