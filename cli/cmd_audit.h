/* sealkey audit: verify and show the station's hash-chained audit log. */
#ifndef SK_CMD_AUDIT_H
#define SK_CMD_AUDIT_H

int cmd_audit(int argc, char **argv);

#endif
