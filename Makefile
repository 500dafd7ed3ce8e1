# The two commands of README.md, and the steps they are made of.
.PHONY: demo test setup stop

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

setup:
	bash scripts/setup.sh

stop:
	bash scripts/demo.sh stop
