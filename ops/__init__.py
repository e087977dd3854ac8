"""The HTTP operations surface's figures (/metrics): read from the database and this process, wired by
app.py. Imports no connector and builds no adapter; it registers the Slack adapter's 429 counter."""
