"""`python -m providers`: commands for people and CI."""
