"""How the acceptance suite does things: stacks, HTTP client, builders, matchers."""
