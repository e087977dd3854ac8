"""What the sources say: a sync reads one source, applies its snapshot (people, stores, principals and
grants as validity intervals), refuses a population that dropped sharply, and settles the revocations it
proves done or survived. Source health says whether a source's latest read is fit to act on.
"""
