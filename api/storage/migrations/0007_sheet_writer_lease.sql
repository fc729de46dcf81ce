ALTER TABLE `sheet_targets` ADD `token` text;--> statement-breakpoint
ALTER TABLE `sheet_targets` ADD `writer_id` text;--> statement-breakpoint
ALTER TABLE `sheet_targets` ADD `writer_until` integer;--> statement-breakpoint
ALTER TABLE `sheet_targets` ADD `in_doubt` text;