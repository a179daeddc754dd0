"""One stack: its settings, the checks before anything is submitted, local data set uploads.

settings    the stack's Pulumi config and what is wrong with it
preflight   job files, local data sets and settings checked together (`validate`, the program)
uploads     local data sets as content-addressed gs:// objects
"""
