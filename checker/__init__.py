"""llmroad's checker: the catalogue, the test runner, progress, grading and the CLI."""
