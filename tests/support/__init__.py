"""Test helpers shared by the emulator tests and the end-to-end tests."""
