# Issue 13 (items 1-5): modules the p11-kit way, URIs, slow tokens in parallel, key attributes.
sk_add_sh_test(p11_modules p11_modules.sh)
