"""typedprop's ops: numpy operations with known gradients, one family per module.

The arithmetic family (`_arithmetic`) backs `BVar`'s operators; broadcasting is undone in one
helper (`_broadcast.unbroadcast`) that every broadcasting op uses.
"""
