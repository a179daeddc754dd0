# The README's two commands: `make demo` and `make test`. Both set up what they need.
.PHONY: bootstrap demo test

bootstrap:
	@bash scripts/bootstrap.sh

demo: bootstrap
	@bash scripts/demo.sh

test: bootstrap
	@bash scripts/test.sh
