"""GitOps: the shipped GitHub Actions workflows and the CI scripts they call."""
