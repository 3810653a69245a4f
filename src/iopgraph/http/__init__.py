"""The HTTP edge: rendering, conditional GET, problem+json, middleware, the uvicorn protocol."""
