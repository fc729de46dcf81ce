CREATE TABLE `effects` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`target` text NOT NULL,
	`job_id` text NOT NULL,
	`seq` integer NOT NULL,
	`payload` text NOT NULL,
	`priority` integer DEFAULT 0 NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_at` integer NOT NULL,
	`locked_by` text,
	`locked_until` integer,
	`result` text,
	`error_message` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `effects_due` ON `effects` (`target`,`status`,`next_at`);--> statement-breakpoint
CREATE INDEX `effects_run` ON `effects` (`job_id`,`seq`);--> statement-breakpoint
CREATE TABLE `lead_identities` (
	`workspace_id` text NOT NULL,
	`identity` text NOT NULL,
	`job_id` text NOT NULL,
	`seq` integer NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`workspace_id`, `identity`)
);
--> statement-breakpoint
CREATE TABLE `lead_steps` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`job_id` text NOT NULL,
	`seq` integer NOT NULL,
	`step` text NOT NULL,
	`attempt` integer NOT NULL,
	`outcome` text NOT NULL,
	`at` integer NOT NULL,
	`duration_ms` real NOT NULL,
	`cost_usd` real NOT NULL,
	`by` text,
	`output` text,
	`judgement` integer DEFAULT false NOT NULL,
	`error_code` text,
	`error_message` text
);
--> statement-breakpoint
CREATE INDEX `lead_steps_run` ON `lead_steps` (`job_id`,`seq`);--> statement-breakpoint
CREATE INDEX `lead_steps_at` ON `lead_steps` (`at`);--> statement-breakpoint
CREATE TABLE `route_turns` (
	`workspace_id` text NOT NULL,
	`rule` text NOT NULL,
	`turn` integer NOT NULL,
	`job_id` text NOT NULL,
	`seq` integer NOT NULL,
	PRIMARY KEY(`workspace_id`, `rule`, `turn`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `route_turns_lead` ON `route_turns` (`job_id`,`seq`,`rule`);--> statement-breakpoint
ALTER TABLE `jobs` ADD `pipeline` text;