import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A bank administrator: reads the audit trail and manages TPPs. Never a PSU or a TPP. */
@Entity({ name: 'admin_user' })
@Index('admin_user_username_key', ['username'], { unique: true })
export class AdminUserEntity {
  @PrimaryGeneratedColumn('uuid', { name: 'admin_id' })
  adminId!: string;

  @Column({ type: 'text' })
  username!: string;

  @Column({ name: 'password_hash', type: 'text' })
  passwordHash!: string;

  @Column({ name: 'totp_secret_enc', type: 'text' })
  totpSecretEnc!: string;

  @Column({ name: 'failed_login_count', type: 'integer', default: 0 })
  failedLoginCount!: number;

  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil!: Date | null;

  @Column({ name: 'last_totp_step', type: 'bigint', nullable: true })
  lastTotpStep!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
