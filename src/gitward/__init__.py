"""gitward: a security gate for Git servers.

The import package is deliberately empty: the hook imports only the modules on its path.
"""

__version__ = "0.1.0"
