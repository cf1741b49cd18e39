# A module that never finishes importing. Its first test waits out the call limit; the
# module is then not imported again, so every other test of the day fails at once
# instead of waiting too (one such submission once held a grading slot for an hour).
while True:
    pass
