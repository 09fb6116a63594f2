"""The Panel dashboard (`biolake serve`): a data store the views depend on (`store.py`), one
Viewer per tab (`views/`), and the server with auth and a health endpoint (`server.py`)."""
