"""What a pharmacy or hospital installs: its own copy of the invalid list (R-INV-3).

The terminal downloads the list once, then follows the center's changes, keeps its copy
in a local file across restarts and answers "may this card settle" from memory, so a
lost card is declined even while the network is down (R-SET-2, R-LIA-2).
"""
