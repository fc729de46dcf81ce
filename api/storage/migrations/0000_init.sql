CREATE TABLE `cache` (
	`workspace_id` text NOT NULL,
	`provider_id` text NOT NULL,
	`input_key` text NOT NULL,
	`outcome` text NOT NULL,
	`values` text NOT NULL,
	`fetched_at` integer NOT NULL,
	PRIMARY KEY(`workspace_id`, `provider_id`, `input_key`)
);
--> statement-breakpoint
CREATE TABLE `cache_hits` (
	`workspace_id` text NOT NULL,
	`provider_id` text NOT NULL,
	`job_id` text NOT NULL,
	`day` integer NOT NULL,
	`hits` integer NOT NULL,
	PRIMARY KEY(`workspace_id`, `provider_id`, `job_id`, `day`)
);
--> statement-breakpoint
CREATE TABLE `calls` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`workspace_id` text NOT NULL,
	`provider_id` text NOT NULL,
	`job_id` text,
	`segment` text NOT NULL,
	`outcome` text NOT NULL,
	`http_status` integer,
	`latency_ms` real NOT NULL,
	`cost_usd` real NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `calls_ws_at` ON `calls` (`workspace_id`,`at`);--> statement-breakpoint
CREATE INDEX `calls_job` ON `calls` (`job_id`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`fields` text NOT NULL,
	`status` text NOT NULL,
	`max_cost_usd` real,
	`cost_usd` real DEFAULT 0 NOT NULL,
	`next_seq` integer DEFAULT 0 NOT NULL,
	`idempotency_key` text,
	`body_hash` text,
	`created_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `jobs_idempotency` ON `jobs` (`workspace_id`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `jobs_status` ON `jobs` (`status`);--> statement-breakpoint
CREATE TABLE `rows` (
	`job_id` text NOT NULL,
	`seq` integer NOT NULL,
	`key` text NOT NULL,
	`input` text NOT NULL,
	`status` text NOT NULL,
	`state` text,
	`error_code` text,
	`error_message` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`run_at` integer NOT NULL,
	`locked_by` text,
	`locked_until` integer,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`job_id`, `seq`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `rows_key` ON `rows` (`job_id`,`key`);--> statement-breakpoint
CREATE INDEX `rows_claim` ON `rows` (`job_id`,`status`,`run_at`);--> statement-breakpoint
CREATE TABLE `api_keys` (
	`hash` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`prefix` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `workspaces` (
	`id` text PRIMARY KEY NOT NULL,
	`created_at` integer NOT NULL
);
