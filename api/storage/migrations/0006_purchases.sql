CREATE TABLE `purchases` (
	`workspace_id` text NOT NULL,
	`provider_id` text NOT NULL,
	`input_key` text NOT NULL,
	`holder` text NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`workspace_id`, `provider_id`, `input_key`)
);
