"""The dialogue with a resident: one turn, the intents, and the table of steps."""
