// A GPL out-of-tree test module: taints O and E (unsigned, or signed with a key the kernel does not trust).
#include <linux/module.h>
#include <linux/init.h>

static int __init tw_gpl_init(void)
{
	return 0;
}

static void __exit tw_gpl_exit(void)
{
}

module_init(tw_gpl_init);
module_exit(tw_gpl_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("TaintWatch test module tw_gpl");
MODULE_VERSION("1.0");
