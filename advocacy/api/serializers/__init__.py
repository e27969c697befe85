"""Input and output shapes of the JSON API, one module per area."""
