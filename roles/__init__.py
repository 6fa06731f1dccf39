"""Huddle's pure model and policy: who may do what, and who sees what. No I/O."""
