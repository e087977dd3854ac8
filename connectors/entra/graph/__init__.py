"""The Graph client's internals; `connectors.entra.client.GraphClient` is the public face."""
