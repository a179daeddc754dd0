# The README's two commands: `make demo` and `make test`. Both set up what they need.
SHELL := /bin/bash
.PHONY: bootstrap demo test validate

bootstrap:
	@bash scripts/bootstrap.sh

demo: bootstrap
	@bash scripts/demo.sh

test: bootstrap
	@bash scripts/test.sh

# Check job files and their local data sets without calling Vertex AI (for pull requests).
validate: bootstrap
	@source scripts/env.sh && python -m providers validate
