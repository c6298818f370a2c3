"""Static reports: one parameterised notebook executed per condition, plan and audience, exported
to self-contained HTML, built one at a time (``secondop report``) or as a batch with an index
(``secondop reports``).
"""
