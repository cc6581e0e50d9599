// A proprietary out-of-tree test module that WARNs when loaded: taints P, O, E, then W.
#include <linux/module.h>
#include <linux/init.h>
#include <linux/bug.h>

static int __init tw_prop_init(void)
{
	WARN(1, "tw_prop: deliberate warning for TaintWatch's real-kernel tests\n");
	return 0;
}

static void __exit tw_prop_exit(void)
{
}

module_init(tw_prop_init);
module_exit(tw_prop_exit);
MODULE_LICENSE("Proprietary");
MODULE_DESCRIPTION("TaintWatch test: proprietary, out-of-tree, WARN at load");
MODULE_VERSION("1.0");
