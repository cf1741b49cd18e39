"""The maintainers' side: tools that measure the course itself (`llmroad dev ...`)."""
