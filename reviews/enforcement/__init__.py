"""Revocation, in one place: the plan (what a closed campaign decided to revoke, inside the blast radius),
the scheduler's tick that leads there, the outbox that executes, verifies and undoes, the notices that
tell the people concerned, and the enforcement settings.
"""
