"""The names of what is checked: the ten invariant ids of SPEC §3 and the "sometimes" properties."""

# "Sometimes" properties: things a check must have seen happen, or it proved nothing about them.
SOMETIMES = ("post-failure", "rollback", "error-shown", "retry", "sse-before-response",
             "disconnect-during-post")
INVARIANTS = ("sse-only", "no-orphan", "no-ghost", "no-flicker", "no-duplicate", "convergence",
              "monotonic", "isolation", "send-order", "no-silent-loss")
