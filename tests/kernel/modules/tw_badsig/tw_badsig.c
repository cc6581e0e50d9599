// A GPL out-of-tree test module: taints O and E (unsigned, or signed with a key the kernel does not trust).
#include <linux/module.h>
#include <linux/init.h>

static int __init tw_badsig_init(void)
{
	return 0;
}

static void __exit tw_badsig_exit(void)
{
}

module_init(tw_badsig_init);
module_exit(tw_badsig_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("TaintWatch test module tw_badsig");
MODULE_VERSION("1.0");
