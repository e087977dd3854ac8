"""Read-only questions: who can access what at any moment, the history of an access told from the audit
chain, the figures an operator watches, and what people may ask in chat.
"""
