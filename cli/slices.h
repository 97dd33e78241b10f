/*
 * slices — what `musicgen status --out ROOT` says of a tree made by static
 * workers (cmd_merge.c).
 */
#ifndef MG_CLI_SLICES_H
#define MG_CLI_SLICES_H

/* Print the state of ROOT's static slices (complete and missing, their
 * rows and indices, whether merge has run and the merge to run): 0, or
 * 1 when ROOT has no slices (the caller then says there is no ledger). */
int mg_status_static(const char *root);

#endif
