"""What is forge-specific: webhook deliveries in, REST requests out, one module per forge type
behind the `Forge` protocol (`forges.registry.FORGES`). PURE, like gidgethub's sans-I/O core:
functions take bytes, headers and dicts and return values; the HTTP session lives in the
receiver."""
