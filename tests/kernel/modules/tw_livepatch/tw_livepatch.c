// A live patch, written from Documentation/livepatch/livepatch.rst: it replaces the function behind /proc/cmdline.
// Loading it sets K (bit 15) and creates /sys/kernel/livepatch/tw_livepatch/{enabled,transition,vmlinux/...}.
// To unload: echo 0 > /sys/kernel/livepatch/tw_livepatch/enabled, wait for transition to read 0, then rmmod.
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/seq_file.h>

static int tw_cmdline_replacement(struct seq_file *m, void *v)
{
	seq_puts(m, "patched by tw_livepatch\n");
	return 0;
}

static struct klp_func tw_functions[] = {
	{ .old_name = "cmdline_proc_show", .new_func = tw_cmdline_replacement },
	{}
};

/* A NULL object name means vmlinux itself. */
static struct klp_object tw_objects[] = {
	{ .name = NULL, .funcs = tw_functions },
	{}
};

static struct klp_patch tw_patch = {
	.mod = THIS_MODULE,
	.objs = tw_objects,
};

static int __init tw_livepatch_init(void)
{
	return klp_enable_patch(&tw_patch);
}

static void __exit tw_livepatch_exit(void)
{
}

module_init(tw_livepatch_init);
module_exit(tw_livepatch_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("TaintWatch test: a live patch of /proc/cmdline");
