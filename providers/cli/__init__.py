"""`python -m providers`: commands for people and CI.

main        argument parsing, one subcommand per module
validate    every check before submission, no cloud calls
plan        what `pulumi up` would do to a stack, why, and its estimated cost (pricing, prices.yaml)
status      every job's state after a refresh
stacks      the stacks a change affects
pulumi_cli  running the Pulumi CLI with machine-readable output
"""
