CREATE TABLE `row_writes` (
	`job_id` text NOT NULL,
	`seq` integer NOT NULL,
	`anchored_at` integer NOT NULL,
	`written_version` integer,
	`orphaned` integer DEFAULT false NOT NULL,
	PRIMARY KEY(`job_id`, `seq`)
);
--> statement-breakpoint
CREATE TABLE `sheet_targets` (
	`job_id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`spreadsheet_id` text NOT NULL,
	`sheet_name` text NOT NULL,
	`header_row` integer NOT NULL,
	`columns` text NOT NULL,
	`status_column` text NOT NULL,
	`credential` text NOT NULL,
	`user_key` text,
	`layout` text,
	`paused` integer DEFAULT false NOT NULL,
	`last_error_code` text,
	`last_error_message` text,
	`last_error_at` integer,
	`settled_at` integer,
	`created_at` integer NOT NULL
);
