"""The store layer: the Backend protocol, the embedded and remote stores, the build, the sandboxed worker pool."""
