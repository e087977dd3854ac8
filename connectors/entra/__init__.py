"""Microsoft Entra ID: the Graph client (client.py, graph/), fetch, transform and revocation."""
