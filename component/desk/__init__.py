"""The staff desk: routing, queue, chat commands, ad-hoc commands."""
