CREATE TABLE `alert_states` (
	`workspace_id` text NOT NULL,
	`provider_id` text NOT NULL,
	`figure` text NOT NULL,
	`started_at` integer NOT NULL,
	`cleared_at` integer,
	`label` text NOT NULL,
	`current` real NOT NULL,
	`baseline` real NOT NULL,
	`start_sent` integer DEFAULT false NOT NULL,
	`clear_sent` integer DEFAULT false NOT NULL,
	PRIMARY KEY(`workspace_id`, `provider_id`, `figure`, `started_at`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `alert_states_open` ON `alert_states` (`workspace_id`,`provider_id`,`figure`) WHERE "alert_states"."cleared_at" IS NULL;