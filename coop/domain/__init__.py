"""coop's rules, in plain Python: nothing here imports Flask."""
