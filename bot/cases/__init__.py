"""The case domain: reports become tickets, routed, worked through the workflow, scored."""
