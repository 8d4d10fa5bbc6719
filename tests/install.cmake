# cmake --install into a temporary prefix, run from the installed files alone; the man pages
# against every command's --help (dist/).
sk_add_sh_test(install install.sh)
