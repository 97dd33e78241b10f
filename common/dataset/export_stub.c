#include "errmsg.h"
#include "export_priv.h"
mg_xwriter *mg_export_jams_new(const mg_export_opts *o, mg_export_stats *st, const char *path, char *err, size_t errlen) { (void)o; (void)st; (void)path; mg_errf(err, errlen, "jams: todo"); return NULL; }
mg_xwriter *mg_export_wds_new(const mg_export_opts *o, mg_export_stats *st, const char *path, char *err, size_t errlen) { (void)o; (void)st; (void)path; mg_errf(err, errlen, "wds: todo"); return NULL; }
