// Loaded and unloaded in a loop to measure how long TaintWatch takes to report a load.
#include <linux/module.h>
#include <linux/init.h>

static int __init tw_latency_init(void)
{
	return 0;
}

static void __exit tw_latency_exit(void)
{
}

module_init(tw_latency_init);
module_exit(tw_latency_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("TaintWatch test module tw_latency");
MODULE_VERSION("1.0");
