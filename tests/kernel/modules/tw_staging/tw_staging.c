// A module marked as staging: loading it sets C (bit 10). The scenario loads and unloads it between two polls.
#include <linux/module.h>
#include <linux/init.h>

static int __init tw_staging_init(void)
{
	return 0;
}

static void __exit tw_staging_exit(void)
{
}

module_init(tw_staging_init);
module_exit(tw_staging_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(staging, "Y");
MODULE_DESCRIPTION("TaintWatch test: staging module, loaded and unloaded faster than the poll interval");
