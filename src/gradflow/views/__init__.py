"""What readers look at: ``plots`` (the course's figures and style), ``widgets`` (``explorer``: live in a
kernel, pre-rendered on the website) and ``explorers`` (the computations behind chapters 1 and 2's explorers)."""
